package vfs

// ForEachInterest calls fn with each file registered in ep and the descriptor
// number it was registered under, with ep's interest mutex held. mqsentry
// adds this accessor for kcmp(KCMP_EPOLL_TFD).
func (ep *EpollInstance) ForEachInterest(fn func(file *FileDescription, num int32)) {
	ep.interestMu.Lock()
	defer ep.interestMu.Unlock()
	for key := range ep.interest {
		fn(key.file, key.num)
	}
}
