require("http").createServer((req, res) => res.end("hello from the corpus\n")).listen(3000);
