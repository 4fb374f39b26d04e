package dysnomia

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"nixproc/cmdrun"
	"nixproc/usermgmt"
)

// UserTools are Dysnomia's user and group tools, by name.
var UserTools = []string{"dysnomia-addgroups", "dysnomia-addusers", "dysnomia-delusers", "dysnomia-delgroups"}

// RunUserTool runs one of UserTools on a path: a component whose
// dysnomia-support folder declares groups and users, or one account file.
// The component (its absolute path) is the holder of the accounts: those the
// tools create are removed by the delete tools once no component that
// declared them is left (see usermgmt.Tools). state is Dysnomia's state
// directory, where they are recorded.
func RunUserTool(ctx context.Context, tool, path, state string, runner cmdrun.Runner, stderr io.Writer) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	kind := usermgmt.Users
	if tool == "dysnomia-addgroups" || tool == "dysnomia-delgroups" {
		kind = usermgmt.Groups
	}
	accounts, err := usermgmt.ReadSupport(abs, kind)
	if err != nil {
		return err
	}
	t := &usermgmt.Tools{Manager: &usermgmt.Manager{Runner: runner}, Registry: AccountRegistry(state), Warnings: stderr}
	switch tool {
	case "dysnomia-addgroups":
		_, err = t.AddGroups(ctx, abs, accounts)
	case "dysnomia-addusers":
		_, err = t.AddUsers(ctx, abs, accounts)
	case "dysnomia-delusers":
		err = t.DelUsers(ctx, abs, accounts)
	case "dysnomia-delgroups":
		err = t.DelGroups(ctx, abs, accounts)
	default:
		err = fmt.Errorf("unknown tool %s", tool)
	}
	return err
}
