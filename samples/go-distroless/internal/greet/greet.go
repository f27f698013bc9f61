package greet

import (
	"fmt"
	"net/http"

	"github.com/google/uuid"
)

func Handler(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "hello %s\n", uuid.NewString())
}
