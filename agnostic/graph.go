package agnostic

import (
	"regexp"
	"slices"
	"strings"
)

// validName says whether a process name is usable: it becomes a file
// name, a unit name, a supervisord section and a container name. Letters,
// digits and _ . @ + -, not starting with . @ + or -. (By hand: a regular
// expression costs more than the rest of validating a process.)
func validName(name string) bool {
	if name == "" || len(name) > 200 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		case i > 0 && (c == '.' || c == '@' || c == '+' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// NewModel validates processes and computes their activation order.
func NewModel(procs []*Process) (*Model, error) {
	m := &Model{Processes: procs, byName: map[string]*Process{}}
	slices.SortFunc(procs, func(a, b *Process) int { return strings.Compare(a.Name, b.Name) })
	for _, p := range procs {
		if p.Name == "" {
			return nil, fieldErr(p.Key, "name", "no process name was specified or can be inferred (set name or instanceName)")
		}
		if !validName(p.Name) {
			return nil, fieldErr(p.Key, "name", "%q is not a usable process name (letters, digits and _ . @ + - only, not starting with . - @ or +)", p.Name)
		}
		if other, dup := m.byName[p.Name]; dup {
			return nil, fieldErr(p.Key, "name", "%q is also the name of process %s", p.Name, other.Key)
		}
		m.byName[p.Name] = p
	}
	for _, p := range procs {
		if err := validateProcess(p); err != nil {
			return nil, err
		}
		for _, dep := range p.Dependencies {
			if _, ok := m.byName[dep]; !ok {
				return nil, fieldErr(p.Key, "dependencies", "%q is not a process of this model", dep)
			}
		}
	}
	order, err := topoOrder(procs, m.byName)
	if err != nil {
		return nil, err
	}
	m.order = order
	return m, nil
}

func validateProcess(p *Process) error {
	if p.Kind == KindManagedProcess && p.Daemon == "" && p.ForegroundProcess == "" {
		return fieldErr(p.Key, "process", "nothing to run: set process, daemon or foregroundProcess")
	}
	for k := range p.Environment {
		if !validEnvName(k) {
			return fieldErr(p.Key, "environment", "%q is not a valid environment variable name", k)
		}
	}
	for _, kind := range []string{"groups", "users"} {
		set := p.Credentials.Groups
		if kind == "users" {
			set = p.Credentials.Users
		}
		for name := range set {
			if !validAccount.MatchString(name) {
				return fieldErr(p.Key, "credentials."+kind, "%q is not a valid account name", name)
			}
		}
	}
	return nil
}

var validAccount = regexp.MustCompile(`^[a-z_][a-z0-9_.-]*\$?$|^[A-Za-z_][A-Za-z0-9_.-]*$`)

func validEnvName(k string) bool {
	if k == "" || strings.ContainsAny(k, "=\x00") {
		return false
	}
	for i, r := range k {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// topoOrder orders processes after their dependencies; among processes that
// are ready at the same time, the shallower and then the alphabetically first
// comes first. A cycle is an error that names it.
func topoOrder(procs []*Process, byName map[string]*Process) ([]*Process, error) {
	// depth is 0 without dependencies, else one more than the deepest one
	depth := map[string]int{}
	state := map[string]int{} // 0 new, 1 visiting, 2 done
	var stack []string
	var visit func(p *Process) error
	visit = func(p *Process) error {
		switch state[p.Name] {
		case 2:
			return nil
		case 1:
			i := len(stack) - 1
			for stack[i] != p.Name {
				i--
			}
			cycle := append(append([]string{}, stack[i:]...), p.Name)
			return fieldErr(p.Key, "dependencies", "dependency cycle: %s", strings.Join(cycle, " -> "))
		}
		state[p.Name] = 1
		stack = append(stack, p.Name)
		d := 0
		for _, dep := range p.Dependencies {
			q := byName[dep]
			if err := visit(q); err != nil {
				return err
			}
			if depth[q.Name]+1 > d {
				d = depth[q.Name] + 1
			}
		}
		stack = stack[:len(stack)-1]
		state[p.Name] = 2
		depth[p.Name] = d
		return nil
	}
	for _, p := range procs {
		if err := visit(p); err != nil {
			return nil, err
		}
	}
	// procs are sorted by name already: a stable sort by depth keeps that
	// order among processes of the same depth.
	order := append([]*Process{}, procs...)
	slices.SortStableFunc(order, func(a, b *Process) int { return depth[a.Name] - depth[b.Name] })
	return order, nil
}
