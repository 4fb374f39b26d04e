package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"nixproc/agnostic"
	"nixproc/imagebuild"
)

// ReadImageSpec reads <name>-docker-image.json of a profile.
func ReadImageSpec(profile, process string) (*ImageSpec, error) {
	file := filepath.Join(profile, process+"-docker-image.json")
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("process %s: %w", process, err)
	}
	spec := &ImageSpec{}
	if err := json.Unmarshal(data, spec); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return spec, nil
}

// BuildImage assembles the image of a spec: the store closure (a layer per
// store path), the host programs and files (one layer, shared by every
// image that needs the same ones), and the image's own files and accounts.
func BuildImage(ctx context.Context, profile string, spec *ImageSpec, ref string) (*imagebuild.Image, error) {
	name, tag, _ := strings.Cut(ref, ":")
	img := &imagebuild.Image{Name: name, Tag: tag, Config: spec.Config}
	if len(spec.StorePaths) > 0 {
		layers, err := imagebuild.StoreLayers(ctx, spec.StorePaths, 0)
		if err != nil {
			return nil, err
		}
		img.Layers = append(img.Layers, layers...)
	}
	if len(spec.HostPrograms)+len(spec.HostFiles) > 0 {
		host := imagebuild.NewTree()
		for _, prog := range spec.HostPrograms {
			if err := host.AddHostProgram(prog); err != nil {
				return nil, err
			}
		}
		for _, f := range spec.HostFiles {
			if err := host.AddHostPath(f); err != nil {
				return nil, err
			}
		}
		img.Layers = append(img.Layers, imagebuild.Layer{Tree: host, CreatedBy: "nixproc: host programs " + strings.Join(append(spec.HostPrograms, spec.HostFiles...), " ")})
	}
	own := imagebuild.NewTree()
	users, groups, err := accounts(spec)
	if err != nil {
		return nil, err
	}
	if err := imagebuild.AddAccounts(own, users, groups); err != nil {
		return nil, err
	}
	if err := own.Dir("/tmp", 0o777|fs.ModeSticky); err != nil {
		return nil, err
	}
	if err := own.Dir("/run", 0o755); err != nil {
		return nil, err
	}
	for _, f := range spec.Files {
		data, err := os.ReadFile(filepath.Join(profile, f.Source))
		if err != nil {
			return nil, fmt.Errorf("image file %s: %w", f.Path, err)
		}
		mode, err := strconv.ParseUint(f.Mode, 8, 32)
		if err != nil {
			return nil, fmt.Errorf("image file %s: mode %q is not octal", f.Path, f.Mode)
		}
		if err := own.File(f.Path, data, fs.FileMode(mode)&fs.ModePerm); err != nil {
			return nil, err
		}
	}
	img.Layers = append(img.Layers, imagebuild.Layer{Tree: own, CreatedBy: "nixproc: accounts and files of " + spec.Name})
	return img, nil
}

// accounts are the image's users and groups: root and nobody, and those
// of the credentials, with the IDs the host has for them (the switch
// creates them on the host before containers start), else the IDs the
// credentials give, else the first free ones from 1000.
func accounts(spec *ImageSpec) ([]imagebuild.User, []imagebuild.Group, error) {
	users := append([]imagebuild.User{}, imagebuild.BaseUsers...)
	groups := append([]imagebuild.Group{}, imagebuild.BaseGroups...)
	usedUID, usedGID := map[int]bool{}, map[int]bool{}
	userNames, groupNames := map[string]bool{}, map[string]bool{}
	for _, u := range users {
		usedUID[u.UID], userNames[u.Name] = true, true
	}
	for _, g := range groups {
		usedGID[g.GID], groupNames[g.Name] = true, true
	}
	gidOf := map[string]int{"root": 0, "nogroup": 65534}
	var pending []string
	for _, name := range agnostic.SortedKeys(spec.Groups) {
		if groupNames[name] {
			continue
		}
		gid := -1
		if g, err := user.LookupGroup(name); err == nil {
			gid, _ = strconv.Atoi(g.Gid)
		} else if v := spec.Groups[name]["gid"]; v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, nil, fmt.Errorf("group %s: gid %q is not a number", name, v)
			}
			gid = n
		}
		if gid < 0 || usedGID[gid] {
			pending = append(pending, name)
			continue
		}
		usedGID[gid], gidOf[name] = true, gid
		groups = append(groups, imagebuild.Group{Name: name, GID: gid})
	}
	for _, name := range pending {
		gid := free(usedGID)
		usedGID[gid], gidOf[name] = true, gid
		groups = append(groups, imagebuild.Group{Name: name, GID: gid})
	}

	pending = nil
	resolved := map[string]imagebuild.User{}
	for _, name := range agnostic.SortedKeys(spec.Users) {
		if userNames[name] {
			continue
		}
		props := spec.Users[name]
		u := imagebuild.User{Name: name, UID: -1, GID: -1, Gecos: props["description"], Home: props["homeDir"], Shell: props["shell"]}
		if hu, err := user.Lookup(name); err == nil {
			u.UID, _ = strconv.Atoi(hu.Uid)
			u.GID, _ = strconv.Atoi(hu.Gid)
			if u.Gecos == "" {
				u.Gecos = hu.Name
			}
			if u.Home == "" && hu.HomeDir != "/dev/null" {
				u.Home = hu.HomeDir
			}
		} else if v := props["uid"]; v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, nil, fmt.Errorf("user %s: uid %q is not a number", name, v)
			}
			u.UID = n
		}
		if g := props["group"]; g != "" {
			gid, ok := gidOf[g]
			if !ok {
				hg, err := user.LookupGroup(g)
				if err != nil {
					return nil, nil, fmt.Errorf("user %s: its group %s is neither declared nor on the host", name, g)
				}
				gid, _ = strconv.Atoi(hg.Gid)
			}
			u.GID = gid
		}
		if u.GID < 0 {
			u.GID = 65534
		}
		if u.UID < 0 || usedUID[u.UID] {
			pending = append(pending, name)
		} else {
			usedUID[u.UID] = true
		}
		resolved[name] = u
	}
	for _, name := range pending {
		u := resolved[name]
		u.UID = free(usedUID)
		usedUID[u.UID] = true
		resolved[name] = u
	}
	for _, name := range agnostic.SortedKeys(resolved) {
		u := resolved[name]
		users = append(users, u)
		// The primary group of a user the host has but whose group the
		// credentials do not declare comes from the host too.
		if !usedGID[u.GID] {
			if hg, err := user.LookupGroupId(strconv.Itoa(u.GID)); err == nil && !groupNames[hg.Name] && gidOf[hg.Name] == 0 {
				usedGID[u.GID], gidOf[hg.Name] = true, u.GID
				groups = append(groups, imagebuild.Group{Name: hg.Name, GID: u.GID})
			}
		}
	}
	sort.SliceStable(users, func(i, j int) bool { return users[i].UID < users[j].UID })
	return users, groups, nil
}

func free(used map[int]bool) int {
	for id := 1000; ; id++ {
		if !used[id] {
			return id
		}
	}
}
