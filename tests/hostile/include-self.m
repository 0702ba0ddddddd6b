include include-self.m
