// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice The part of a Uniswap V3 pool that the Actor calls (declared here: no Uniswap sources imported).
interface IUniswapV3PoolLike {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function mint(address recipient, int24 tickLower, int24 tickUpper, uint128 amount, bytes calldata data)
        external
        returns (uint256 amount0, uint256 amount1);
    function burn(int24 tickLower, int24 tickUpper, uint128 amount) external returns (uint256 amount0, uint256 amount1);
    function collect(address recipient, int24 tickLower, int24 tickUpper, uint128 amount0Requested, uint128 amount1Requested)
        external
        returns (uint128 amount0, uint128 amount1);
    function swap(address recipient, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96, bytes calldata data)
        external
        returns (int256 amount0, int256 amount1);
    function flash(address recipient, uint256 amount0, uint256 amount1, bytes calldata data) external;
}

interface IERC20Like {
    function transfer(address to, uint256 amount) external returns (bool);
}

/// @title Actor
/// @notice Calls a Uniswap V3 pool directly (mint, burn, collect, swap, flash), the way a router or a
/// vault would, and pays the pool's callbacks from its own token balance. Positions it mints are owned by
/// this contract. Devnet only: anyone may call it; callbacks are accepted only from the pool being called.
contract Actor {
    uint160 internal constant MIN_SQRT_RATIO = 4295128739;
    uint160 internal constant MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342;

    /// @dev The pool of the call in progress; callbacks from any other address are refused.
    address private active;

    modifier calling(address pool) {
        active = pool;
        _;
        active = address(0);
    }

    function mint(address pool, int24 tickLower, int24 tickUpper, uint128 amount) external calling(pool) {
        IUniswapV3PoolLike(pool).mint(address(this), tickLower, tickUpper, amount, "");
    }

    /// @notice Burns `amount` of liquidity; an `amount` of 0 is a poke that only accrues fees.
    function burn(address pool, int24 tickLower, int24 tickUpper, uint128 amount) external {
        IUniswapV3PoolLike(pool).burn(tickLower, tickUpper, amount);
    }

    function collect(address pool, address recipient, int24 tickLower, int24 tickUpper, uint128 amount0, uint128 amount1)
        external
    {
        IUniswapV3PoolLike(pool).collect(recipient, tickLower, tickUpper, amount0, amount1);
    }

    /// @notice Swaps on `pool`; a positive `amountSpecified` is exact input, a negative one exact output.
    /// A `sqrtPriceLimitX96` of 0 means no limit.
    function swap(address pool, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96)
        external
        calling(pool)
    {
        uint160 limit = sqrtPriceLimitX96 != 0 ? sqrtPriceLimitX96 : (zeroForOne ? MIN_SQRT_RATIO + 1 : MAX_SQRT_RATIO - 1);
        IUniswapV3PoolLike(pool).swap(address(this), zeroForOne, amountSpecified, limit, "");
    }

    /// @notice Borrows `amount0`/`amount1` from `pool` and pays them back with the fee in the callback.
    function flash(address pool, uint256 amount0, uint256 amount1) external calling(pool) {
        IUniswapV3PoolLike(pool).flash(address(this), amount0, amount1, abi.encode(amount0, amount1));
    }

    function uniswapV3MintCallback(uint256 amount0Owed, uint256 amount1Owed, bytes calldata) external {
        _pay(amount0Owed, amount1Owed);
    }

    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        _pay(amount0Delta > 0 ? uint256(amount0Delta) : 0, amount1Delta > 0 ? uint256(amount1Delta) : 0);
    }

    function uniswapV3FlashCallback(uint256 fee0, uint256 fee1, bytes calldata data) external {
        (uint256 amount0, uint256 amount1) = abi.decode(data, (uint256, uint256));
        _pay(amount0 + fee0, amount1 + fee1);
    }

    function _pay(uint256 amount0, uint256 amount1) private {
        require(msg.sender == active, "Actor: unexpected callback");
        if (amount0 > 0) require(IERC20Like(IUniswapV3PoolLike(msg.sender).token0()).transfer(msg.sender, amount0), "Actor: pay0");
        if (amount1 > 0) require(IERC20Like(IUniswapV3PoolLike(msg.sender).token1()).transfer(msg.sender, amount1), "Actor: pay1");
    }
}
