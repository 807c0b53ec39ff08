module example.com/shipshape/corpus/distroless-go

go 1.19
