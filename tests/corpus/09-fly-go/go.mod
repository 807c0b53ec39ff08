module example.com/shipshape/corpus/fly-go

go 1.19
