package usermgmt

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Kinds of account files.
const (
	Users  = "users"
	Groups = "groups"
)

// ReadSupport reads the account files of one kind (Users or Groups) for a
// path, as Dysnomia's user tools do: a regular file is one account, named
// after the file; a directory keeps its accounts in
// dysnomia-support/<kind>/, one file each; a directory without that folder
// has none. A path that does not exist is an error.
func ReadSupport(path, kind string) (map[string]map[string]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("the path %s is not valid: %w", path, unwrapPath(err))
	}
	out := map[string]map[string]string{}
	var files []string
	if st.Mode().IsRegular() {
		files = []string{path}
	} else {
		dir := filepath.Join(path, "dysnomia-support", kind)
		entries, err := os.ReadDir(dir)
		if os.IsNotExist(err) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, unwrapPath(err))
		}
		props, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out[filepath.Base(f)] = props
	}
	return out, nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
