// Command nixproc is the single binary of nixproc. Links to it named as the
// original tools (nixproc-build, nixproc-sysvinit-switch, ...) behave as
// those tools: the name after "nixproc-" picks the subcommand.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "nixproc/backends/all"
)

func main() {
	root := newRoot()
	args := os.Args[1:]
	tool := filepath.Base(os.Args[0])
	if module, ok := dysnomiaModuleLink(os.Args[0]); ok {
		// libexec/dysnomia/<module>, as Disnix and dysnomia run modules
		args = append([]string{"dysnomia-module", module}, args...)
	} else if sub, ok := strings.CutPrefix(tool, "nixproc-"); ok {
		args = append([]string{sub}, args...)
	} else if sub := linkedCommand(root, tool); sub != "" {
		args = append([]string{sub}, args...)
	}
	root.SetArgs(args)
	stopProfile := startCPUProfile()
	err := root.Execute()
	stopProfile()
	reportPeakMemory()
	if err != nil {
		name := tool
		if c, _, findErr := root.Find(args); findErr == nil && c != root {
			name = "nixproc-" + c.Name()
			if n := c.Annotations[errorNameAnnotation]; n != "" {
				name = n
			}
		}
		fmt.Fprintf(os.Stderr, "%s: %s\n", name, oneLine(err.Error()))
		os.Exit(exitCode(err))
	}
}

// oneLine keeps error reports to one line: what, and where.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// exitError carries a specific exit status.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func exitCode(err error) int {
	if e, ok := err.(*exitError); ok {
		return e.code
	}
	return 1
}
