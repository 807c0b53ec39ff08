console.log("hello from the corpus");
