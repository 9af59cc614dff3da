"""interop.py: boto3's side of tests/integration/check_interop.c.

    interop.py put TABLE FILE        PutItem of the typed item in FILE (-: stdin)
    interop.py get TABLE KEY         GetItem (ConsistentRead), typed item out
    interop.py put-plain TABLE FILE  PutItem of the plain JSON object in FILE
                                     (-: stdin), typed by boto3's TypeSerializer
    interop.py get-plain TABLE KEY   GetItem, untyped by boto3's TypeDeserializer

Typed items are DynamoDB's wire form ({"name": {"S": "alice"}}) as JSON, with
B and BS members as base64 text, the form the C client uses; KEY is a typed
key as JSON text.  put/get use boto3's low-level client, so the typed values
go through botocore as they are (numbers stay text; binaries become bytes
and back).  put-plain/get-plain use what applications built on boto3's
resource layer see: numbers as decimal.Decimal (never floats),
binaries as Binary, sets as Python sets.  get-plain prints a Decimal as its
exact text, a Binary as base64 and a set as an array.  An absent item
prints "null".

It talks to the DynamoDB Local that scripts/run-tests.sh starts
(DYNAMO_LOCAL_HOST, DYNAMO_LOCAL_PORT, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_REGION).  Run it with Debian's python3 and
python3-boto3 (scripts/deps.sh installs them).
"""
import base64
import decimal
import json
import os
import sys

try:
    import boto3
    import botocore.config
    from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
except ImportError as e:
    sys.exit(
        "interop.py: %s: the interop test needs python3-boto3 "
        "(make deps installs it; or: apt-get install python3-boto3)" % e
    )

BINARY_TAGS = ("B", "BS")


def client():
    env = os.environ
    return boto3.client(
        "dynamodb",
        endpoint_url="http://%s:%s" % (env["DYNAMO_LOCAL_HOST"], env["DYNAMO_LOCAL_PORT"]),
        region_name=env.get("AWS_REGION", "us-east-1"),
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        config=botocore.config.Config(retries={"max_attempts": 3, "mode": "standard"}),
    )


def map_binaries(value, conv):
    """The typed VALUE with every B and BS member passed through CONV."""
    (tag, v), = value.items()
    if tag == "B":
        return {tag: conv(v)}
    if tag == "BS":
        return {tag: [conv(m) for m in v]}
    if tag == "L":
        return {tag: [map_binaries(m, conv) for m in v]}
    if tag == "M":
        return {tag: {k: map_binaries(m, conv) for k, m in v.items()}}
    return value


def to_wire(item):
    """Base64 text -> bytes, as botocore takes B (it encodes them itself)."""
    decode = lambda t: base64.b64decode(t, validate=True)
    return {k: map_binaries(v, decode) for k, v in item.items()}


def from_wire(item):
    """Bytes -> base64 text, as the C client holds B."""
    encode = lambda b: base64.b64encode(b).decode("ascii")
    return {k: map_binaries(v, encode) for k, v in item.items()}


class ExactDeserializer(TypeDeserializer):
    """TypeDeserializer, numbers taken as they come.  Its own _deserialize_n
    puts every number through a 38-digit context that traps Rounded, so it
    raises decimal.Rounded on any number whose text is longer than 38
    digits, such as the 126-digit text DynamoDB answers for 1E+125
    (boto/boto3#2500, open): the fix proposed there, Decimal(text)."""

    def _deserialize_n(self, value):
        return decimal.Decimal(value)


def plain_text(v):
    """V (what TypeDeserializer gives) as JSON text, numbers exact."""
    if isinstance(v, decimal.Decimal):
        return str(v)  # e.g. 1.5E-7 or 1E+125: JSON numbers, every digit kept
    if isinstance(v, Binary):
        return json.dumps(base64.b64encode(v.value).decode("ascii"))
    if isinstance(v, dict):
        return "{%s}" % ",".join(json.dumps(k) + ":" + plain_text(m) for k, m in v.items())
    if isinstance(v, (list, set)):
        return "[%s]" % ",".join(plain_text(m) for m in v)
    return json.dumps(v)  # str, bool, None


def get_item(table, key_text):
    key = to_wire(json.loads(key_text))
    return client().get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


def load(path, **kw):
    if path == "-":
        return json.loads(sys.stdin.buffer.read().decode("utf-8"), **kw)
    with open(path, encoding="utf-8") as f:
        return json.load(f, **kw)


def main(argv):
    if len(argv) != 4:
        sys.exit("usage: interop.py put|get|put-plain|get-plain TABLE FILE|KEY")
    cmd, table, arg = argv[1:]
    if cmd == "put":
        client().put_item(TableName=table, Item=to_wire(load(arg)))
    elif cmd == "get":
        item = get_item(table, arg)
        print(json.dumps(None if item is None else from_wire(item)))
    elif cmd == "put-plain":
        plain = load(arg, parse_float=decimal.Decimal, parse_int=decimal.Decimal)
        ser = TypeSerializer()
        item = {k: ser.serialize(v) for k, v in plain.items()}
        client().put_item(TableName=table, Item=item)
    elif cmd == "get-plain":
        item = get_item(table, arg)
        des = ExactDeserializer()
        print("null" if item is None else plain_text({k: des.deserialize(v) for k, v in item.items()}))
    else:
        sys.exit("interop.py: unknown command %r" % cmd)


if __name__ == "__main__":
    main(sys.argv)
