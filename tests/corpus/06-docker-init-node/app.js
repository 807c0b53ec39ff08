const http = require("http");
http.createServer((req, res) => res.end("hello from the corpus\n")).listen(8080);
