zero len=4#K
