module example.com/shipshape/corpus/gs-ping

go 1.19
