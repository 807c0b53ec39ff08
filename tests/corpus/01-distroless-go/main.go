package main

import "fmt"

func greeting() string { return "hello from the corpus" }

func main() {
	fmt.Println(greeting())
}
