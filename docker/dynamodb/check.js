// Health check of the local DynamoDB: exit 0 when dynalite answers a real DynamoDB call
// (ListTables) on 127.0.0.1:$PORT, 1 otherwise. A DynamoDB call, not a TCP probe: "ready" must
// mean the app's first PutItem will be served. Node only (the image has no Python or curl).
"use strict";
const http = require("http");

const body = "{}";
const request = http.request(
  {
    host: "127.0.0.1",
    port: Number(process.env.PORT || 8000),
    method: "POST",
    path: "/",
    timeout: 3000,
    headers: {
      "Content-Type": "application/x-amz-json-1.0",
      "X-Amz-Target": "DynamoDB_20120810.ListTables",
      // dynalite wants a SigV4-shaped header (it checks presence, not the signature).
      Authorization:
        "AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, " +
        "SignedHeaders=host, Signature=0",
      "X-Amz-Date": "20200101T000000Z",
      "Content-Length": Buffer.byteLength(body),
    },
  },
  (response) => {
    let text = "";
    response.on("data", (chunk) => (text += chunk));
    response.on("end", () => {
      const ok = response.statusCode === 200 && "TableNames" in JSON.parse(text || "{}");
      if (!ok) console.log(`not ready: HTTP ${response.statusCode} ${text.slice(0, 200)}`);
      process.exit(ok ? 0 : 1);
    });
  },
);
request.on("timeout", () => request.destroy(new Error("timed out")));
request.on("error", (error) => {
  console.log(`not ready: ${error.message}`);
  process.exit(1);
});
request.end(body);
