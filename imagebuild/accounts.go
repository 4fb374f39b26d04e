package imagebuild

import (
	"fmt"
	"sort"
	"strings"
)

// User is an account of an image's /etc/passwd.
type User struct {
	Name     string
	UID, GID int
	Gecos    string
	Home     string // default /nonexistent
	Shell    string // default /usr/sbin/nologin
}

// Group is a group of an image's /etc/group.
type Group struct {
	Name    string
	GID     int
	Members []string
}

// BaseUsers and BaseGroups are the accounts every image has: root, and
// nobody/nogroup for processes that should own nothing.
var (
	BaseUsers = []User{
		{Name: "root", UID: 0, GID: 0, Gecos: "root", Home: "/root", Shell: "/bin/sh"},
		{Name: "nobody", UID: 65534, GID: 65534, Gecos: "nobody"},
	}
	BaseGroups = []Group{{Name: "root", GID: 0}, {Name: "nogroup", GID: 65534}}
)

// AddAccounts writes /etc/passwd, /etc/group, /etc/shadow, /etc/gshadow and
// an /etc/nsswitch.conf that looks accounts up in them. Accounts are sorted
// by ID, then name; a name or an ID used twice is an error, as is a field
// that would break the file's format.
func AddAccounts(t *Tree, users []User, groups []Group) error {
	users = append([]User{}, users...)
	groups = append([]Group{}, groups...)
	sort.SliceStable(users, func(i, j int) bool {
		if users[i].UID != users[j].UID {
			return users[i].UID < users[j].UID
		}
		return users[i].Name < users[j].Name
	})
	sort.SliceStable(groups, func(i, j int) bool {
		if groups[i].GID != groups[j].GID {
			return groups[i].GID < groups[j].GID
		}
		return groups[i].Name < groups[j].Name
	})
	var passwd, shadow, group, gshadow strings.Builder
	names := map[string]bool{}
	ids := map[int]string{}
	for _, u := range users {
		if err := checkField("user name", u.Name, true); err != nil {
			return err
		}
		for what, v := range map[string]string{"description": u.Gecos, "home": u.Home, "shell": u.Shell} {
			if err := checkField("user "+u.Name+" "+what, v, false); err != nil {
				return err
			}
		}
		if u.UID < 0 || u.GID < 0 {
			return fmt.Errorf("user %s: negative user or group ID", u.Name)
		}
		if names[u.Name] {
			return fmt.Errorf("user %s is declared twice", u.Name)
		}
		if other, ok := ids[u.UID]; ok {
			return fmt.Errorf("users %s and %s have the same ID %d", other, u.Name, u.UID)
		}
		names[u.Name], ids[u.UID] = true, u.Name
		home, shell := u.Home, u.Shell
		if home == "" {
			home = "/nonexistent"
		}
		if shell == "" {
			shell = "/usr/sbin/nologin"
		}
		fmt.Fprintf(&passwd, "%s:x:%d:%d:%s:%s:%s\n", u.Name, u.UID, u.GID, u.Gecos, home, shell)
		fmt.Fprintf(&shadow, "%s:!:1::::::\n", u.Name)
	}
	names = map[string]bool{}
	ids = map[int]string{}
	for _, g := range groups {
		if err := checkField("group name", g.Name, true); err != nil {
			return err
		}
		for _, m := range g.Members {
			if err := checkField("member of group "+g.Name, m, true); err != nil {
				return err
			}
		}
		if g.GID < 0 {
			return fmt.Errorf("group %s: negative group ID", g.Name)
		}
		if names[g.Name] {
			return fmt.Errorf("group %s is declared twice", g.Name)
		}
		if other, ok := ids[g.GID]; ok {
			return fmt.Errorf("groups %s and %s have the same ID %d", other, g.Name, g.GID)
		}
		names[g.Name], ids[g.GID] = true, g.Name
		members := append([]string{}, g.Members...)
		sort.Strings(members)
		fmt.Fprintf(&group, "%s:x:%d:%s\n", g.Name, g.GID, strings.Join(members, ","))
		fmt.Fprintf(&gshadow, "%s:!::%s\n", g.Name, strings.Join(members, ","))
	}
	files := []struct {
		path string
		data string
		mode uint32
	}{
		{"/etc/passwd", passwd.String(), 0o644},
		{"/etc/group", group.String(), 0o644},
		{"/etc/shadow", shadow.String(), 0o600},
		{"/etc/gshadow", gshadow.String(), 0o600},
		{"/etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n", 0o644},
	}
	for _, f := range files {
		if err := t.File(f.path, []byte(f.data), fsMode(f.mode)); err != nil {
			return err
		}
	}
	return nil
}

func checkField(what, v string, name bool) error {
	if name && v == "" {
		return fmt.Errorf("%s is empty", what)
	}
	if strings.ContainsAny(v, ":\n\x00") || name && strings.ContainsAny(v, ", \t") {
		return fmt.Errorf("%s %q contains a character the account files cannot hold", what, v)
	}
	return nil
}
