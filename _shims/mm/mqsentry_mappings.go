package mm

import (
	"gvisor.dev/gvisor/pkg/hostarch"
	"gvisor.dev/gvisor/pkg/sentry/memmap"
)

// ForEachMapping calls fn with the bounds and the MappingIdentity (nil for
// anonymous memory) of each vma, in address order, until fn returns false.
// fn runs with mm.mappingMu read-locked and must not call into mm. mqsentry
// adds this accessor for /proc/PID/map_files.
func (mm *MemoryManager) ForEachMapping(fn func(start, end hostarch.Addr, id memmap.MappingIdentity) bool) {
	mm.mappingMu.RLock()
	defer mm.mappingMu.RUnlock()
	for vseg := mm.vmas.FirstSegment(); vseg.Ok(); vseg = vseg.NextSegment() {
		if !fn(vseg.Start(), vseg.End(), vseg.ValuePtr().id) {
			return
		}
	}
}
