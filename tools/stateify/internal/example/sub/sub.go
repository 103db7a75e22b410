// Package sub is a second package used by the stateify example, to exercise
// `state:".(T)"` tags whose T lives in another package.
package sub

// Value is a plain savable struct.
//
// +stateify savable
type Value struct {
	N    int
	Text string
}

// Flags is a savable non-struct type.
//
// +stateify savable
type Flags uint32
