"""flask_app.py: the Python stack dynamo-fcgi replaces, for `make bench`.

The example app's GET /users/<username> written as a flask-dynamo user
writes it: one boto3 resource per app, ``resource.Table(name).get_item(...)``
per request, the item returned as JSON (404 when absent).  Served by
gunicorn (sync or gthread workers) behind nginx, from Debian's python3-flask,
python3-boto3 and gunicorn, so that each run measures it on the same machine
as the C app instead of quoting a figure from another day.

Environment: BENCH_ENDPOINT (the stub's URL), BENCH_CA_BUNDLE (its CA, for
https), BENCH_POOL (botocore's connection pool size: the gunicorn threads).
"""
import os

import boto3
import botocore.config
from flask import Flask, jsonify

app = Flask(__name__)

_resource = boto3.resource(
    "dynamodb",
    endpoint_url=os.environ["BENCH_ENDPOINT"],
    region_name="us-east-1",
    aws_access_key_id="AKIDBENCHMARK",
    aws_secret_access_key="bench-secret-key",
    verify=os.environ.get("BENCH_CA_BUNDLE") or True,
    config=botocore.config.Config(
        max_pool_connections=int(os.environ.get("BENCH_POOL", "10")),
        retries={"mode": "standard"},
    ),
)
_users = _resource.Table("users")


@app.route("/users/<username>")
def get_user(username):
    item = _users.get_item(Key={"username": username}).get("Item")
    if item is None:
        return jsonify(error="no such user"), 404
    return jsonify(item)
