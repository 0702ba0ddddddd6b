file "\x1b]0;owned\x07\x1b[31mred"
