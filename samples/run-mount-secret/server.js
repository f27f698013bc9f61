const http = require('node:http');
http.createServer((_q, r) => r.end('billing')).listen(4000);
