package idassign

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"nixproc/agnostic"
)

// benchModel is 10,000 processes each asking for a port, a UID and a GID.
func benchModel() ([]Resource, []Request) {
	resources := []Resource{res("ports", 10000, 30000), res("uids", 100000, 200000), res("gids", 100000, 200000)}
	requests := make([]Request, 10000)
	for i := range requests {
		requests[i] = ask(fmt.Sprintf("process%05d", i), "gids", "ports", "uids")
	}
	return resources, requests
}

// BenchmarkAssign10000x3 assigns everything from scratch.
func BenchmarkAssign10000x3(b *testing.B) {
	resources, requests := benchModel()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Assign(resources, requests, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReassign10000x3 keeps 9,999 assignments and adds one process.
func BenchmarkReassign10000x3(b *testing.B) {
	resources, requests := benchModel()
	prev, err := Assign(resources, requests[1:], nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Assign(resources, requests, prev.IDs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFormatNix10000x3 writes the ids.nix of 30,000 assignments.
func BenchmarkFormatNix10000x3(b *testing.B) {
	resources, requests := benchModel()
	got, err := Assign(resources, requests, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		FormatNix(got.IDs)
	}
}

// BenchmarkRunJSON10000x3 is a whole run on JSON files: reading, decoding
// the processes model, assigning.
func BenchmarkRunJSON10000x3(b *testing.B) {
	dir := b.TempDir()
	var model bytes.Buffer
	model.WriteString("{\n")
	for i := 0; i < 10000; i++ {
		if i > 0 {
			model.WriteString(",\n")
		}
		fmt.Fprintf(&model, `"process%05d": {"pkg": {"name": "process%05d", "process": "/bin/process"}, "requiresUniqueIdsFor": ["ports", "uids", "gids"]}`, i, i)
	}
	model.WriteString("\n}\n")
	resources := `{"ports": {"min": 10000, "max": 30000}, "uids": {"min": 100000, "max": 200000}, "gids": {"min": 100000, "max": 200000}}`
	if err := os.WriteFile(filepath.Join(dir, "processes.json"), model.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "idresources.json"), []byte(resources), 0o644); err != nil {
		b.Fatal(err)
	}
	o := Options{ResourcesFile: filepath.Join(dir, "idresources.json"), Processes: agnostic.EvalOptions{ExprFile: filepath.Join(dir, "processes.json")}}
	b.ReportAllocs()
	for b.Loop() {
		got, err := Run(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		FormatNix(got.IDs)
	}
}
