package backendtest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"nixproc/agnostic"
	"nixproc/backends"
)

// Update rewrites golden files instead of comparing: go test ./... -update.
var Update = flag.Bool("update", false, "rewrite golden files")

// Separator divides a golden case into its input and its expected output.
const Separator = "----- expected -----"

// GoldenInput is the input half of a golden case.
type GoldenInput struct {
	Dirs                   agnostic.Dirs   `json:"dirs"`
	ForceDisableUserChange bool            `json:"forceDisableUserChange"`
	Model                  json.RawMessage `json:"model"`
}

// RunGolden builds every testdata/golden/*.txt case with the backend and
// compares the profile's files with the expected half of the case. A case
// whose expected half starts with "error:" expects that build error.
// Elide maps long texts that every file repeats (an inlined library) to a
// short placeholder, so the golden files show what the case is about.
func RunGolden(t *testing.T, b backends.Backend, elide map[string]string) {
	files, _ := filepath.Glob("testdata/golden/*.txt")
	require.NotEmpty(t, files, "no golden cases in testdata/golden")
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			in, _, ok := strings.Cut(string(data), Separator+"\n")
			require.True(t, ok, "%s has no %q line", file, Separator)
			got := BuildDump(t, b, []byte(in))
			for long, short := range elide {
				got = strings.ReplaceAll(got, long, short)
			}
			if *Update {
				require.NoError(t, os.WriteFile(file, []byte(in+Separator+"\n"+got), 0o644))
				return
			}
			_, want, _ := strings.Cut(string(data), Separator+"\n")
			require.Equal(t, want, got, "golden file %s differs (rerun with -update and review the diff)", file)
		})
	}
}

// BuildDump builds a golden input and returns the dump of its profile, or
// "error: ..." if the build fails.
func BuildDump(t *testing.T, b backends.Backend, input []byte) string {
	path, warnings, err := BuildInput(t, b, input)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	// A profile's files may name the profile itself (ProfileWriter.Path).
	return warnings + strings.ReplaceAll(DumpProfile(t, path), path, "$PROFILE")
}

// GoldenProfiles builds every golden case that expects no error and returns
// the built profiles by case name, so the generated files can be checked
// with the real tools of their format.
func GoldenProfiles(t *testing.T, b backends.Backend) map[string]string {
	t.Helper()
	files, _ := filepath.Glob("testdata/golden/*.txt")
	require.NotEmpty(t, files, "no golden cases in testdata/golden")
	out := map[string]string{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		in, want, _ := strings.Cut(string(data), Separator+"\n")
		if strings.HasPrefix(want, "error:") {
			continue
		}
		path, _, err := BuildInput(t, b, []byte(in))
		require.NoError(t, err, file)
		out[strings.TrimSuffix(filepath.Base(file), ".txt")] = path
	}
	return out
}

// BuildInput builds a golden input in a temporary directory and returns the
// profile's path and the warnings printed. In errors, the temporary
// directory reads $TMP.
func BuildInput(t *testing.T, b backends.Backend, input []byte) (string, string, error) {
	var in GoldenInput
	require.NoError(t, json.Unmarshal(input, &in), "golden input")
	dir := t.TempDir()
	model := filepath.Join(dir, "processes.json")
	require.NoError(t, os.WriteFile(model, in.Model, 0o644))
	t.Setenv("NIXPROC_BUILD_DIR", filepath.Join(dir, "builds"))
	var warnings bytes.Buffer
	path, err := backends.Build(context.Background(), b, backends.BuildOptions{
		Eval:                   agnostic.EvalOptions{ExprFile: model, Dirs: in.Dirs},
		ForceDisableUserChange: in.ForceDisableUserChange,
		Warnings:               &warnings,
	})
	if err != nil {
		return "", "", fmt.Errorf("%s", strings.ReplaceAll(err.Error(), dir, "$TMP"))
	}
	return path, warnings.String(), nil
}

// DumpProfile renders every file of a profile (but its metadata) as text:
// a header line per file or link, then the file's content.
func DumpProfile(t *testing.T, root string) string {
	var paths []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if !strings.HasPrefix(rel, "nixproc/") {
			paths = append(paths, rel)
		}
		return nil
	}))
	sort.Strings(paths)
	var b strings.Builder
	for _, rel := range paths {
		abs := filepath.Join(root, rel)
		info, err := os.Lstat(abs)
		require.NoError(t, err)
		if info.Mode()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(abs)
			fmt.Fprintf(&b, "=== %s -> %s\n", rel, target)
			continue
		}
		data, err := os.ReadFile(abs)
		require.NoError(t, err)
		fmt.Fprintf(&b, "=== %s (%04o)\n%s", rel, info.Mode().Perm(), data)
		if len(data) > 0 && data[len(data)-1] != '\n' {
			b.WriteString("\n=== (no newline at end of file)\n")
		}
	}
	return b.String()
}
