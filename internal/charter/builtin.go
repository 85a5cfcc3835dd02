package charter

import (
	"cmp"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"sync"
)

//go:embed builtin/*.md
var builtinFS embed.FS

// builtins parses the embedded charters once. A built-in charter that does not parse is a
// programming error, caught by the package's tests, so it panics.
var builtins = sync.OnceValue(func() []*Charter {
	names, err := fs.Glob(builtinFS, "builtin/*.md")
	if err != nil {
		panic(fmt.Sprintf("charter: listing built-in charters: %v", err))
	}
	out := make([]*Charter, 0, len(names))
	for _, name := range names {
		src, err := builtinFS.ReadFile(name)
		if err != nil {
			panic(fmt.Sprintf("charter: reading built-in %s: %v", name, err))
		}
		c, err := Parse(src)
		if err != nil {
			panic(fmt.Sprintf("charter: built-in %s: %v", name, err))
		}
		c.Builtin = true
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *Charter) int { return cmp.Compare(a.ID, b.ID) })
	return out
})

// Builtin returns the built-in charters, ordered by id, with Builtin set. They are parsed once
// and shared: callers must not modify them.
func Builtin() []*Charter {
	return slices.Clone(builtins())
}

// BuiltinByID returns the built-in charter with the given id.
func BuiltinByID(id string) (*Charter, bool) {
	for _, c := range builtins() {
		if c.ID == id {
			return c, true
		}
	}
	return nil, false
}
