package images

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"sort"
	"strings"
)

// The host's package database tells which files a program of a Debian
// package needs beyond its ELF libraries: the Python modules of a Python
// program, for one. These helpers ask dpkg-query; on a host without dpkg
// they report that, and callers fall back to coarser rules.

func haveDpkg() bool {
	_, err := exec.LookPath("dpkg-query")
	return err == nil
}

// packageOf returns the installed package that owns path, or "".
func packageOf(path string) string {
	out, err := exec.Command("dpkg-query", "-S", path).Output()
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(out), "\n") {
		// "pkg: /path", "pkg1, pkg2: /path"; diversions say "diversion by".
		names, file, ok := strings.Cut(line, ": ")
		if !ok || strings.HasPrefix(line, "diversion ") || strings.TrimSpace(file) != path {
			continue
		}
		name, _, _ := strings.Cut(names, ",")
		return archless(strings.TrimSpace(name))
	}
	return ""
}

// dependencyClosure returns the installed packages among pkgs and
// everything they depend on (Depends and Pre-Depends, every alternative
// that is installed), sorted.
func dependencyClosure(pkgs []string) ([]string, error) {
	seen := map[string]bool{}
	installed := map[string]bool{}
	queue := append([]string{}, pkgs...)
	for len(queue) > 0 {
		var ask []string
		for _, p := range queue {
			if !seen[p] {
				seen[p] = true
				ask = append(ask, p)
			}
		}
		queue = nil
		if len(ask) == 0 {
			break
		}
		args := append([]string{"-W", "-f", "${Package}\t${db:Status-Abbrev}\t${Depends}, ${Pre-Depends}\n"}, ask...)
		cmd := exec.Command("dpkg-query", args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil && len(out) == 0 && !strings.Contains(stderr.String(), "no packages found") {
			return nil, fmt.Errorf("dpkg-query %s: %v: %s", strings.Join(ask, " "), err, strings.TrimSpace(stderr.String()))
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			fields := strings.Split(sc.Text(), "\t")
			if len(fields) != 3 || !strings.HasPrefix(fields[1], "ii") {
				continue
			}
			installed[archless(fields[0])] = true
			queue = append(queue, parseDepends(fields[2])...)
		}
	}
	out := make([]string, 0, len(installed))
	for p := range installed {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// parseDepends reads a Depends field: "a (>= 1), b | c, d:any".
func parseDepends(field string) []string {
	var out []string
	for _, dep := range strings.Split(field, ",") {
		for _, alt := range strings.Split(dep, "|") {
			name := strings.TrimSpace(alt)
			if i := strings.IndexAny(name, " ("); i >= 0 {
				name = name[:i]
			}
			if name = archless(name); name != "" {
				out = append(out, name)
			}
		}
	}
	return out
}

func archless(name string) string {
	name, _, _ = strings.Cut(name, ":")
	return name
}

// packageFiles lists the paths the packages installed (directories too),
// sorted.
func packageFiles(pkgs []string) ([]string, error) {
	if len(pkgs) == 0 {
		return nil, nil
	}
	cmd := exec.Command("dpkg-query", append([]string{"-L"}, pkgs...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && len(out) == 0 {
		return nil, fmt.Errorf("dpkg-query -L %s: %v: %s", strings.Join(pkgs, " "), err, strings.TrimSpace(stderr.String()))
	}
	seen := map[string]bool{}
	var files []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "/") && !seen[line] {
			seen[line] = true
			files = append(files, line)
		}
	}
	sort.Strings(files)
	return files, nil
}
