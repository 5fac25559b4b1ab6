# error: 2:11: expected a fence set: letters from `iorw`, or `0`
    fence rx, w
