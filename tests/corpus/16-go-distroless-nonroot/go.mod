module example.com/shipshape/corpus/hello-golang

go 1.19
