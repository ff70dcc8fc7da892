/**
 * The two programs the data-plane bench compares Cassini's proxy with: a trivial HTTP backend
 * (the same program Cassini's deployment runs, so "direct" and "through Cassini" serve one
 * thing) and the 15-line reverse proxy a competent person would write in front of it, with
 * keep-alive to the backend and bodies streamed both ways. Each runs as its own `node -e`
 * process, as Cassini's proxy and its deployment do, so no measured server shares an event
 * loop with the load generator or with another.
 */

/** Answers every request with `ok`; listens on $PORT. */
export const TRIVIAL_BACKEND = `require('node:http').createServer((req, res) => { req.resume(); res.end('ok'); }).listen(Number(process.env.PORT), '127.0.0.1');`;

/** Forwards everything on $PORT to 127.0.0.1:$TARGET_PORT. */
export const BASELINE_PROXY = `
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const target = Number(process.env.TARGET_PORT);
http.createServer((req, res) => {
  const upstream = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => { res.statusCode = 502; res.end(); });
  req.pipe(upstream);
}).listen(Number(process.env.PORT), '127.0.0.1');
`;
