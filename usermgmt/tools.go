package usermgmt

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"

	"nixproc/agnostic"
)

// Tools are Dysnomia's user and group tools (dysnomia-addgroups,
// dysnomia-addusers, dysnomia-delusers, dysnomia-delgroups) for one holder:
// the component whose dysnomia-support files declare the accounts.
//
//   - Adding creates an account that does not exist and records it; an
//     account that exists already is kept as it is (a warning says so when
//     its UID or GID differs from the declared one) and never removed by
//     these tools later.
//   - Deleting lets go of the holder's claim: an account is removed when the
//     tools created it and no other component declares it any more.
//   - A user with createHomeDirOnly=1 is no account: adding only makes its
//     home directory (when createHomeDir=1), deleting does nothing.
type Tools struct {
	Manager  *Manager
	Registry Registry
	// Warnings receives one line per account kept as it was.
	Warnings io.Writer
}

// AddGroups creates the groups; it returns those it created, also on an
// error, so a caller can roll back.
func (t *Tools) AddGroups(ctx context.Context, holder string, groups map[string]map[string]string) ([]string, error) {
	return t.add(ctx, Groups, holder, groups)
}

// AddUsers creates the users; it returns those it created, also on an
// error.
func (t *Tools) AddUsers(ctx context.Context, holder string, users map[string]map[string]string) ([]string, error) {
	return t.add(ctx, Users, holder, users)
}

// DelUsers lets go of the holder's users.
func (t *Tools) DelUsers(ctx context.Context, holder string, users map[string]map[string]string) error {
	return t.del(ctx, Users, holder, users)
}

// DelGroups lets go of the holder's groups.
func (t *Tools) DelGroups(ctx context.Context, holder string, groups map[string]map[string]string) error {
	return t.del(ctx, Groups, holder, groups)
}

func (t *Tools) warn(format string, args ...any) {
	if t.Warnings != nil {
		fmt.Fprintf(t.Warnings, "warning: "+format+"\n", args...)
	}
}

func (t *Tools) add(ctx context.Context, kind, holder string, accounts map[string]map[string]string) ([]string, error) {
	var created []string
	err := t.Registry.update(func(d *registryData) (bool, error) {
		table := d.table(kind)
		changed := false
		for _, name := range fixedIDsFirst(kind, accounts) {
			props := accounts[name]
			if kind == Users && props["createHomeDirOnly"] == "1" {
				if props["createHomeDir"] == "1" && props["homeDir"] != "" {
					if err := os.MkdirAll(props["homeDir"], 0o755); err != nil {
						return changed, fmt.Errorf("creating the home directory of %s: %w", name, unwrapPath(err))
					}
				}
				continue
			}
			holders, ours := table[name]
			if t.exists(kind, name) {
				if ours {
					table[name] = addHolder(holders, holder)
					changed = true
				} else {
					t.keep(kind, name, props)
				}
				continue
			}
			var ok bool
			var err error
			if kind == Users {
				ok, err = t.Manager.AddUser(ctx, name, props)
			} else {
				ok, err = t.Manager.AddGroup(ctx, name, props)
			}
			if err != nil {
				return changed, err
			}
			if ok {
				// Also when an account the tools made was removed by
				// hand: it is theirs again, with every holder.
				table[name] = addHolder(holders, holder)
				created = append(created, name)
				changed = true
			}
		}
		return changed, nil
	})
	return created, err
}

// fixedIDsFirst orders accounts by name, those with a fixed UID or GID
// first, so that an automatic ID never takes one another account asks for.
func fixedIDsFirst(kind string, accounts map[string]map[string]string) []string {
	key := "gid"
	if kind == Users {
		key = "uid"
	}
	var fixed, auto []string
	for _, name := range agnostic.SortedKeys(accounts) {
		if accounts[name][key] != "" {
			fixed = append(fixed, name)
		} else {
			auto = append(auto, name)
		}
	}
	return append(fixed, auto...)
}

func (t *Tools) exists(kind, name string) bool {
	if kind == Users {
		return UserExists(name)
	}
	return GroupExists(name)
}

// keep warns about an account that existed before and is kept as it is.
func (t *Tools) keep(kind, name string, props map[string]string) {
	switch kind {
	case Users:
		u, err := user.Lookup(name)
		if err == nil && props["uid"] != "" && props["uid"] != u.Uid {
			t.warn("user %s exists with UID %s, not the declared %s; it is kept as it is", name, u.Uid, props["uid"])
		}
	case Groups:
		g, err := user.LookupGroup(name)
		if err == nil && props["gid"] != "" && props["gid"] != g.Gid {
			t.warn("group %s exists with GID %s, not the declared %s; it is kept as it is", name, g.Gid, props["gid"])
		}
	}
}

func (t *Tools) del(ctx context.Context, kind, holder string, accounts map[string]map[string]string) error {
	return t.Registry.update(func(d *registryData) (bool, error) {
		table := d.table(kind)
		changed := false
		for _, name := range agnostic.SortedKeys(accounts) {
			if kind == Users && accounts[name]["createHomeDirOnly"] == "1" {
				continue
			}
			holders, ours := table[name]
			if !ours {
				continue // not made by these tools: never removed by them
			}
			holders = dropHolder(holders, holder)
			if len(holders) > 0 {
				table[name] = holders
				changed = true
				continue
			}
			var err error
			if kind == Users {
				err = t.Manager.DelUser(ctx, name)
			} else {
				err = t.Manager.DelGroup(ctx, name)
			}
			if err != nil {
				return changed, err
			}
			delete(table, name)
			changed = true
		}
		return changed, nil
	})
}
