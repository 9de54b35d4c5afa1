// A streaming Function URL (InvokeMode: RESPONSE_STREAM): each line reaches the client as soon as
// it is written, not when the handler returns. `awslambda` is a global of Lambda's Node.js
// runtime (and of Sluice's); `HttpResponseStream.from` sets the status, headers and cookies.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
    cookies: ["visited=yes; Path=/"],
  });
  const count = Math.min(Number(event.queryStringParameters?.count ?? 3), 10);
  for (let i = 1; i <= count; i++) {
    stream.write(`line ${i} of ${count}\n`);
    await sleep(200);
  }
  stream.end();
});
