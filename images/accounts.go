package images

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"nixproc/agnostic"
	"nixproc/imagebuild"
	"nixproc/usermgmt"
)

// homeDir is a home directory an account wants made in the image.
type homeDir struct {
	path     string
	uid, gid int
}

// accounts are the image's users and groups: root and nobody, and those of
// the profile's credentials with the IDs they declare, else the first free
// ones from 1000 (groups first, as useradd would see them). A user without
// a group gets a group of its own name, as useradd makes one. When user
// changes are disabled the profile declares no accounts, only home
// directories to make.
func accounts(profile string) ([]imagebuild.User, []imagebuild.Group, []homeDir, error) {
	groupProps, err := readAccounts(profile, "groups")
	if err != nil {
		return nil, nil, nil, err
	}
	userProps, err := readAccounts(profile, "users")
	if err != nil {
		return nil, nil, nil, err
	}
	users := append([]imagebuild.User{}, imagebuild.BaseUsers...)
	groups := append([]imagebuild.Group{}, imagebuild.BaseGroups...)
	usedUID, usedGID := map[int]bool{}, map[int]bool{}
	gidOf := map[string]int{}
	for _, u := range users {
		usedUID[u.UID] = true
	}
	for _, g := range groups {
		usedGID[g.GID], gidOf[g.Name] = true, g.GID
	}
	addGroup := func(name string, gid int) {
		usedGID[gid], gidOf[name] = true, gid
		groups = append(groups, imagebuild.Group{Name: name, GID: gid})
	}

	var pending []string
	for _, name := range agnostic.SortedKeys(groupProps) {
		if _, ok := gidOf[name]; ok {
			continue
		}
		gid, err := id(groupProps[name], "gid", "group "+name)
		if err != nil {
			return nil, nil, nil, err
		}
		if gid < 0 || usedGID[gid] {
			pending = append(pending, name)
			continue
		}
		addGroup(name, gid)
	}
	for _, name := range pending {
		addGroup(name, free(usedGID))
	}

	var homes []homeDir
	type user struct {
		u     imagebuild.User
		props map[string]string
	}
	var declared []user
	for _, name := range agnostic.SortedKeys(userProps) {
		props := userProps[name]
		if props["createHomeDirOnly"] == "1" {
			if props["createHomeDir"] == "1" && props["homeDir"] != "" {
				homes = append(homes, homeDir{path: props["homeDir"]})
			}
			continue
		}
		if name == "root" || name == "nobody" {
			continue
		}
		uid, err := id(props, "uid", "user "+name)
		if err != nil {
			return nil, nil, nil, err
		}
		u := imagebuild.User{Name: name, UID: uid, Gecos: props["description"], Home: props["homeDir"], Shell: props["shell"]}
		if u.Home == "" {
			u.Home = "/dev/null" // as nixproc's switch creates users
		}
		if uid >= 0 && !usedUID[uid] {
			usedUID[uid] = true
		} else {
			u.UID = -1
		}
		declared = append(declared, user{u, props})
	}
	for i := range declared {
		u := &declared[i].u
		if u.UID < 0 {
			u.UID = free(usedUID)
			usedUID[u.UID] = true
		}
		group := declared[i].props["group"]
		if group == "" {
			group = u.Name
			if _, ok := gidOf[group]; !ok {
				gid := u.UID
				if usedGID[gid] {
					gid = free(usedGID)
				}
				addGroup(group, gid)
			}
		}
		gid, ok := gidOf[group]
		if !ok {
			return nil, nil, nil, fmt.Errorf("user %s: its group %s is not declared in the credentials", u.Name, group)
		}
		u.GID = gid
		users = append(users, *u)
		if declared[i].props["createHomeDir"] == "1" && declared[i].props["homeDir"] != "" {
			homes = append(homes, homeDir{path: u.Home, uid: u.UID, gid: u.GID})
		}
	}
	return users, groups, homes, nil
}

func id(props map[string]string, key, what string) (int, error) {
	v := props[key]
	if v == "" {
		return -1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: %s %q is not a number", what, key, v)
	}
	return n, nil
}

func free(used map[int]bool) int {
	for id := 1000; ; id++ {
		if !used[id] {
			return id
		}
	}
}

// readAccounts reads dysnomia-support/<kind>/* of a profile.
func readAccounts(profile, kind string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	dir := filepath.Join(profile, "dysnomia-support", kind)
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		file := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		props, err := usermgmt.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		out[e.Name()] = props
	}
	return out, nil
}

// addHomes makes the home directories accounts want, owned by them.
func addHomes(t *imagebuild.Tree, homes []homeDir) error {
	for _, h := range homes {
		if !filepath.IsAbs(h.path) {
			return fmt.Errorf("home directory %q is not an absolute path", h.path)
		}
		if err := t.Dir(h.path, fs.FileMode(0o755)); err != nil {
			return err
		}
		if err := t.Chown(h.path, h.uid, h.gid); err != nil {
			return err
		}
	}
	return nil
}
