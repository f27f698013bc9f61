package main

import (
	"log"
	"net/http"

	"example.com/greeter/internal/greet"
)

func main() {
	http.HandleFunc("/", greet.Handler)
	log.Fatal(http.ListenAndServe(":8080", nil))
}
