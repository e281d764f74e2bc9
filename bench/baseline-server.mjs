// The ceiling every scenario is compared with: a raw node:http server answering any request, body
// read and discarded, with a small JSON body. Started by the harness on the port it is given.
import { createServer } from 'node:http';

const body = Buffer.from(JSON.stringify({ status: 'ok' }));
const port = Number(process.env.PORT);

const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': body.length,
    });
    response.end(body);
  });
});

server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
