// Command probe is the entry point of test images: it prints what it was
// started with, one item per line, so a test can compare it with what the
// image's config says.
package main

import (
	"fmt"
	"os"
	"sort"
)

func main() {
	fmt.Printf("args=%q\n", os.Args[1:])
	fmt.Printf("uid=%d gid=%d\n", os.Getuid(), os.Getgid())
	cwd, _ := os.Getwd()
	fmt.Printf("cwd=%s\n", cwd)
	env := os.Environ()
	sort.Strings(env)
	for _, e := range env {
		fmt.Printf("env %q\n", e)
	}
}
