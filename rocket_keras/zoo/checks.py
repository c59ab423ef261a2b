"""Argument checks shared by the zoo builders, with errors that say what was received."""


def check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")


def check_positive_number(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"`{name}` must be a positive number. Received: {name}={value!r}")


def check_input_shape(input_shape):
    """An image shape (height, width, channels); height and width may be None."""
    shape = tuple(input_shape) if isinstance(input_shape, (list, tuple)) else None
    valid = (
        shape is not None
        and len(shape) == 3
        and all(
            d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0)
            for d in shape[:2]
        )
        and isinstance(shape[2], int)
        and shape[2] > 0
    )
    if not valid:
        raise ValueError(
            "`input_shape` must be (height, width, channels) with positive "
            f"integers, e.g. (32, 32, 3). Received: input_shape={input_shape!r}"
        )
    return shape


def blocks_per_stage(name, depth, offset, examples):
    """n for a depth of the form 6n + offset; a ValueError otherwise."""
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 6 + offset or (depth - offset) % 6:
        raise ValueError(
            f"`{name}` must be of the form 6n+{offset} with n >= 1 "
            f"(e.g. {examples}). Received: {name}={depth!r}"
        )
    return (depth - offset) // 6
