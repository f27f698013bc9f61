import { createServer } from 'node:http';

createServer((_req, res) => res.end('ok\n')).listen(8080);
