package dysnomia

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"nixproc/cmdrun"
	"nixproc/usermgmt"
)

// Activities a module carries out, as Disnix and the dysnomia command ask
// for them.
var Activities = []string{"activate", "deactivate", "lock", "unlock", "snapshot", "restore", "collect-garbage", "shell"}

// Invocation is one run of a module: `<module> <activity> <component>
// [<container>]` with the container's properties.
type Invocation struct {
	Activity  string
	Component string // absolute path
	// Container is the container as given to the module (a name or a
	// file), or "" when none was.
	Container string
	Props     Props
	// Runner runs the process manager's commands (cmdrun.Exec for real).
	Runner         cmdrun.Runner
	Stdout, Stderr io.Writer
}

func (inv *Invocation) stderr() io.Writer {
	if inv.Stderr != nil {
		return inv.Stderr
	}
	return io.Discard
}

func (inv *Invocation) stdout() io.Writer {
	if inv.Stdout != nil {
		return inv.Stdout
	}
	return io.Discard
}

// with returns a copy of the invocation for another component.
func (inv *Invocation) with(component string) *Invocation {
	c := *inv
	c.Component = component
	return &c
}

// Module is a Dysnomia module.
type Module interface {
	Name() string
	// Run carries out one of the Activities (Run checked it is one).
	Run(ctx context.Context, inv *Invocation) error
}

var modules = map[string]Module{}

func register(m Module) { modules[m.Name()] = m }

// ModuleNames lists the modules, sorted.
func ModuleNames() []string { return sortedKeys(modules) }

// LookupModule finds a module by name.
func LookupModule(name string) (Module, bool) {
	m, ok := modules[name]
	return m, ok
}

// RunModule runs a module: the activity must be one of Activities and the
// component must exist. Errors are one line naming the module, the
// activity and the component.
func RunModule(ctx context.Context, name string, inv *Invocation) error {
	m, ok := modules[name]
	if !ok {
		return fmt.Errorf("unknown Dysnomia module %q (known: %s)", name, strings.Join(ModuleNames(), ", "))
	}
	if !validActivity(inv.Activity) {
		return fmt.Errorf("%s: unknown activity %q (one of: %s)", name, inv.Activity, strings.Join(Activities, ", "))
	}
	if inv.Component == "" {
		return fmt.Errorf("%s: no component given", name)
	}
	abs, err := filepath.Abs(inv.Component)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("%s %s: component %s: %v", name, inv.Activity, inv.Component, unwrap(err))
	}
	c := *inv
	c.Component = abs
	if c.Props == nil {
		c.Props = Props{}
	}
	if c.Runner == nil {
		c.Runner = cmdrun.Exec{}
	}
	if err := m.Run(ctx, &c); err != nil {
		return fmt.Errorf("%s %s %s: %s", name, inv.Activity, ComponentName(abs), oneLine(err.Error()))
	}
	return nil
}

func validActivity(a string) bool {
	i := sort.SearchStrings(sortedActivities, a)
	return i < len(sortedActivities) && sortedActivities[i] == a
}

var sortedActivities = func() []string {
	s := append([]string{}, Activities...)
	sort.Strings(s)
	return s
}()

// componentAccounts are the users and groups a component declares in its
// dysnomia-support folder, which modules create on activation and let go
// of on deactivation through Dysnomia's user tools (usermgmt.Tools): only
// accounts those created are ever removed, once no component declares them.
type componentAccounts struct {
	tools         *usermgmt.Tools
	holder        string
	users, groups map[string]map[string]string
}

func accountsOf(inv *Invocation, dir string) (*componentAccounts, error) {
	groups, err := usermgmt.ReadSupport(dir, usermgmt.Groups)
	if err != nil {
		return nil, err
	}
	users, err := usermgmt.ReadSupport(dir, usermgmt.Users)
	if err != nil {
		return nil, err
	}
	return &componentAccounts{
		tools: &usermgmt.Tools{
			Manager:  &usermgmt.Manager{Runner: inv.Runner},
			Registry: AccountRegistry(StateDir(inv.Props)),
			Warnings: inv.stderr(),
		},
		holder: inv.Component,
		users:  users, groups: groups,
	}, nil
}

// add creates groups, then users. On an error, del undoes what it did.
func (a *componentAccounts) add(ctx context.Context) error {
	if _, err := a.tools.AddGroups(ctx, a.holder, a.groups); err != nil {
		return err
	}
	_, err := a.tools.AddUsers(ctx, a.holder, a.users)
	return err
}

// del lets go of users, then groups.
func (a *componentAccounts) del(ctx context.Context) error {
	if err := a.tools.DelUsers(ctx, a.holder, a.users); err != nil {
		return err
	}
	return a.tools.DelGroups(ctx, a.holder, a.groups)
}

func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
