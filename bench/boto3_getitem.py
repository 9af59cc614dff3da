"""boto3_getitem.py: the micro GetItem loop of bench/micro.c, with boto3.

    python3 bench/boto3_getitem.py PORT

Calls get_item on a client pointed at the stub on 127.0.0.1:PORT (one
keep-alive connection from botocore's pool) and prints "key value" lines
for scripts/bench.sh: CPU microseconds per call (time.process_time, the
fastest of 7 trials of at least 0.3 s of CPU each, after a warm-up, as
bench/micro.c measures) and wall microseconds per call.  Run it with Debian's python3 and
python3-boto3, as the Flask + flask-dynamo stack in issue 5 did.
"""
import sys
import time

import boto3
import botocore.config

TRIALS = 7
MIN_TRIAL_CPU = 0.3


def main():
    port = sys.argv[1]
    client = boto3.client(
        "dynamodb",
        endpoint_url="http://127.0.0.1:%s" % port,
        region_name="us-east-1",
        aws_access_key_id="AKIDBENCHMARK",
        aws_secret_access_key="bench-secret-key",
        config=botocore.config.Config(retries={"max_attempts": 0}),
    )
    key = {"username": {"S": "alice"}}

    def call():
        item = client.get_item(TableName="users", Key=key).get("Item")
        if not item:
            sys.exit("boto3_getitem: no Item in the answer")

    for _ in range(200):  # warm-up: connection, model loading, caches
        call()
    cpu, wall = [], []
    for _ in range(TRIALS):
        n, c0, w0 = 0, time.process_time(), time.monotonic()
        while time.process_time() - c0 < MIN_TRIAL_CPU:
            for _ in range(20):
                call()
            n += 20
        cpu.append((time.process_time() - c0) / n * 1e6)
        wall.append((time.monotonic() - w0) / n * 1e6)
    k = cpu.index(min(cpu))
    print("boto3_cpu_us %.1f" % cpu[k])
    print("boto3_wall_us %.1f" % wall[k])


if __name__ == "__main__":
    main()
