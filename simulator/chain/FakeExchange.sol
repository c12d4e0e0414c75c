// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Test double for the Polymarket CTF Exchange V2 and NegRisk Exchange V2:
/// it only emits OrderFilled with the exact V2 signature (ITrading.sol), so a
/// chain reader can be tested against a real EVM node. Installed with
/// hardhat_setCode at both V2 exchange addresses.
contract FakeExchange {
    event OrderFilled(
        bytes32 indexed orderHash,
        address indexed maker,
        address indexed taker,
        uint8 side,
        uint256 tokenId,
        uint256 makerAmountFilled,
        uint256 takerAmountFilled,
        uint256 fee,
        bytes32 builder,
        bytes32 metadata
    );

    struct Fill {
        bytes32 orderHash;
        address maker;
        address taker;
        uint8 side;
        uint256 tokenId;
        uint256 makerAmountFilled;
        uint256 takerAmountFilled;
        uint256 fee;
        bytes32 builder;
        bytes32 metadata;
    }

    /// Emits one OrderFilled per element, in order, in this one call.
    function emitFills(Fill[] calldata fills) external {
        for (uint256 i = 0; i < fills.length; i++) {
            Fill calldata f = fills[i];
            emit OrderFilled(
                f.orderHash, f.maker, f.taker, f.side, f.tokenId,
                f.makerAmountFilled, f.takerAmountFilled, f.fee, f.builder, f.metadata
            );
        }
    }

    /// Emits a log with the given topics and data verbatim, to produce logs
    /// that carry the OrderFilled topic but cannot be decoded.
    function emitRaw(bytes32[] calldata topics, bytes calldata data) external {
        bytes memory d = data;
        uint256 n = topics.length;
        if (n == 1) {
            bytes32 t0 = topics[0];
            assembly { log1(add(d, 32), mload(d), t0) }
        } else if (n == 4) {
            bytes32 t0 = topics[0];
            bytes32 t1 = topics[1];
            bytes32 t2 = topics[2];
            bytes32 t3 = topics[3];
            assembly { log4(add(d, 32), mload(d), t0, t1, t2, t3) }
        } else {
            revert("emitRaw: 1 or 4 topics");
        }
    }
}
