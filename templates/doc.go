// Package templates holds the text that generated scripts and configuration
// files are built from, embedded into the binary so that a generated file
// never depends on anything downloaded or installed at run time.
//
// It imports nothing from nixproc; backends import it.
package templates
