uuid text binary
