# Door node package: frame protocol, allowlist, node driver.
