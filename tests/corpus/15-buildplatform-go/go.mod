module example.com/shipshape/corpus/buildplatform

go 1.19
