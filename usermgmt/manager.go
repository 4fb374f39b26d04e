package usermgmt

import (
	"context"
	"fmt"
	"os"
	"os/user"

	"nixproc/cmdrun"
)

// Manager creates and removes accounts with the system's tools.
type Manager struct {
	Runner cmdrun.Runner
}

// GroupExists tells whether a group exists.
func GroupExists(name string) bool {
	_, err := user.LookupGroup(name)
	return err == nil
}

// UserExists tells whether a user exists.
func UserExists(name string) bool {
	_, err := user.Lookup(name)
	return err == nil
}

// AddGroup creates a group unless it exists; created says whether it did.
func (m *Manager) AddGroup(ctx context.Context, name string, props map[string]string) (created bool, err error) {
	if GroupExists(name) {
		return false, nil
	}
	args := []string{}
	if gid := props["gid"]; gid != "" {
		args = append(args, "-g", gid)
	}
	if props["system"] == "1" {
		args = append(args, "-r")
	}
	args = append(args, name)
	if _, err := m.Runner.Run(ctx, cmdrun.Cmd{Path: "groupadd", Args: args}); err != nil {
		return false, fmt.Errorf("creating group %s: %w", name, err)
	}
	return true, nil
}

// AddUser creates a user unless it exists; created says whether it did. With
// createHomeDirOnly only the home directory is made.
func (m *Manager) AddUser(ctx context.Context, name string, props map[string]string) (created bool, err error) {
	if props["createHomeDirOnly"] == "1" {
		if props["createHomeDir"] == "1" && props["homeDir"] != "" {
			return false, os.MkdirAll(props["homeDir"], 0o755)
		}
		return false, nil
	}
	if UserExists(name) {
		return false, nil
	}
	home := props["homeDir"]
	if home == "" {
		home = "/dev/null"
	}
	args := []string{"-d", home}
	if props["createHomeDir"] == "1" {
		args = append(args, "-m")
	} else {
		args = append(args, "-M")
	}
	if props["system"] == "1" {
		// A service account: its IDs come from the system range, away
		// from the IDs models assign.
		args = append(args, "-r")
	}
	for flag, key := range map[string]string{"-u": "uid", "-g": "group", "-c": "description", "-s": "shell", "-p": "password"} {
		if v := props[key]; v != "" {
			args = append(args, flag, v)
		}
	}
	args = append(args, name)
	if _, err := m.Runner.Run(ctx, cmdrun.Cmd{Path: "useradd", Args: sortFlags(args)}); err != nil {
		return false, fmt.Errorf("creating user %s: %w", name, err)
	}
	return true, nil
}

// DelUser removes a user (its home directory stays).
func (m *Manager) DelUser(ctx context.Context, name string) error {
	if !UserExists(name) {
		return nil
	}
	if _, err := m.Runner.Run(ctx, cmdrun.Cmd{Path: "userdel", Args: []string{name}}); err != nil {
		return fmt.Errorf("removing user %s: %w", name, err)
	}
	return nil
}

// DelGroup removes a group.
func (m *Manager) DelGroup(ctx context.Context, name string) error {
	if !GroupExists(name) {
		return nil
	}
	if _, err := m.Runner.Run(ctx, cmdrun.Cmd{Path: "groupdel", Args: []string{name}}); err != nil {
		return fmt.Errorf("removing group %s: %w", name, err)
	}
	return nil
}

// sortFlags orders flag pairs so the command line is deterministic (the map
// above has no order); the account name stays last.
func sortFlags(args []string) []string {
	name := args[len(args)-1]
	type pair struct{ f, v string }
	var pairs []pair
	var singles []string
	for i := 0; i < len(args)-1; i++ {
		switch args[i] {
		case "-m", "-M", "-r":
			singles = append(singles, args[i])
		default:
			pairs = append(pairs, pair{args[i], args[i+1]})
			i++
		}
	}
	for i := range pairs {
		for j := i + 1; j < len(pairs); j++ {
			if pairs[j].f < pairs[i].f {
				pairs[i], pairs[j] = pairs[j], pairs[i]
			}
		}
	}
	out := []string{}
	for _, p := range pairs {
		out = append(out, p.f, p.v)
	}
	return append(append(out, singles...), name)
}
