-- ddb-getitem.lua: wrk script POSTing one GetItem straight to DynamoDB Local,
-- for its direct ceiling in `make bench`.  DynamoDB Local parses the
-- Authorization header but does not verify the signature, so a fixed,
-- well-formed one serves every request.  BENCH_TABLE names the table.
local table_name = os.getenv("BENCH_TABLE") or "users"

wrk.method = "POST"
wrk.path = "/"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.GetItem"
wrk.headers["X-Amz-Date"] = "20240601T083000Z"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 "
    .. "Credential=AKIDBENCHMARK/20240601/us-east-1/dynamodb/aws4_request, "
    .. "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
    .. "Signature=" .. string.rep("0", 64)
wrk.body = '{"TableName":"' .. table_name .. '","Key":{"username":{"S":"alice"}}}'
