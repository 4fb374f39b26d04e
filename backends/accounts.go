package backends

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	"nixproc/agnostic"
	"nixproc/usermgmt"
)

// accountsState remembers which accounts nixproc created for a profile, so
// that it removes those, and only those, once no generation wants them.
type accountsState struct {
	Users  []string `json:"users"`
	Groups []string `json:"groups"`
}

func accountsFile(g Profiles) string { return filepath.Join(g.Dir, g.Name+".accounts.json") }

func loadAccounts(g Profiles) (accountsState, error) {
	var s accountsState
	data, err := os.ReadFile(accountsFile(g))
	if os.IsNotExist(err) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(data, &s)
}

func saveAccounts(g Profiles, s accountsState) error {
	data, _ := json.MarshalIndent(s, "", "  ")
	tmp := accountsFile(g) + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, accountsFile(g))
}

// profileAccounts reads the users or groups files of a profile.
func profileAccounts(p *Profile, kind string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	if p.Path == "" {
		return out, nil
	}
	dir := filepath.Join(p.Path, "dysnomia-support", kind)
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		props, err := usermgmt.Parse(data)
		if err != nil {
			return nil, &agnostic.FieldError{Process: e.Name(), Field: filepath.Join("dysnomia-support", kind, e.Name()), Msg: err.Error()}
		}
		out[e.Name()] = props
	}
	return out, nil
}

// createAccounts creates the groups and then the users of a profile that do
// not exist yet, and returns the ones it created.
func createAccounts(ctx context.Context, m *usermgmt.Manager, p *Profile) (accountsState, error) {
	var created accountsState
	groups, err := profileAccounts(p, "groups")
	if err != nil {
		return created, err
	}
	users, err := profileAccounts(p, "users")
	if err != nil {
		return created, err
	}
	for _, name := range fixedIDsFirst(groups, "gid") {
		ok, err := m.AddGroup(ctx, name, groups[name])
		if err != nil {
			return created, err
		}
		if ok {
			created.Groups = append(created.Groups, name)
		}
	}
	for _, name := range fixedIDsFirst(users, "uid") {
		ok, err := m.AddUser(ctx, name, users[name])
		if err != nil {
			return created, err
		}
		if ok {
			created.Users = append(created.Users, name)
		}
	}
	return created, nil
}

// fixedIDsFirst orders accounts by name, those with a fixed ID first: an
// account created without one gets the next free ID, which could be the ID
// another account of the profile asks for.
func fixedIDsFirst(accounts map[string]map[string]string, idKey string) []string {
	var fixed, free []string
	for _, name := range agnostic.SortedKeys(accounts) {
		if accounts[name][idKey] != "" {
			fixed = append(fixed, name)
		} else {
			free = append(free, name)
		}
	}
	return append(fixed, free...)
}

// deleteAccounts removes users, then groups.
func deleteAccounts(ctx context.Context, m *usermgmt.Manager, s accountsState) error {
	for _, u := range s.Users {
		if err := m.DelUser(ctx, u); err != nil {
			return err
		}
	}
	for _, g := range s.Groups {
		if err := m.DelGroup(ctx, g); err != nil {
			return err
		}
	}
	return nil
}
