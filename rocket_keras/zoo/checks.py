"""Argument checks shared by the zoo builders, with errors that say what was received."""


def check_positive_int(name, value):
    """Raises a ``ValueError`` naming ``name`` unless ``value`` is a positive int (not a bool).

    Example:

    ```python
    check_positive_int("num_classes", 10)  # passes
    check_positive_int("num_classes", 0)  # ValueError: `num_classes` must be a positive integer.
    ```
    """
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")


def check_positive_number(name, value):
    """Raises a ``ValueError`` naming ``name`` unless ``value`` is a positive int or float.

    Example:

    ```python
    check_positive_number("light_alpha", 0.35)  # passes
    check_positive_number("light_alpha", -1)  # ValueError: `light_alpha` must be a positive number.
    ```
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"`{name}` must be a positive number. Received: {name}={value!r}")


def check_input_shape(input_shape):
    """An image shape (height, width, channels); height and width may be None.

    Returns the shape as a tuple; raises a ``ValueError`` for anything else.

    Example:

    ```python
    check_input_shape([32, 32, 3])  # (32, 32, 3)
    check_input_shape((None, None, 3))  # (None, None, 3): any image size
    check_input_shape((32, 32))  # ValueError
    ```
    """
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
    """n for a depth of the form 6n + offset; a ValueError otherwise.

    ``name`` is the argument named in the error, ``examples`` the valid
    depths it suggests.

    Example:

    ```python
    blocks_per_stage("booster_depth", 20, 2, "8, 14, 20, 32, 56, 110")  # 3: ResNet-20
    blocks_per_stage("light_depth", 16, 4, "10, 16, 22, 28, 40")  # 2: WRN-16
    ```
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 6 + offset or (depth - offset) % 6:
        raise ValueError(
            f"`{name}` must be of the form 6n+{offset} with n >= 1 "
            f"(e.g. {examples}). Received: {name}={depth!r}"
        )
    return (depth - offset) // 6
