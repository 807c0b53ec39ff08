module example.com/shipshape/corpus/buildme

go 1.19
