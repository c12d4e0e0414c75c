// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Test double for the V2 exchanges (CTF Exchange V2 0xE111180000d2663C0091e4f400237545B87B996B,
/// NegRisk CTF Exchange V2 0xe2222d279d744050d28e00520010520000310F59) with every event a match
/// emits, where FakeExchange.sol has OrderFilled only. Stateless: each function emits what it is given.
/// Events as declared in Polymarket/ctf-exchange-v2 src/exchange/interfaces/ITrading.sol and
/// src/exchange/mixins/Events.sol (read through its public mirror Alatharee21/ctf-exchange-v2).
/// V2 has no TokenRegistered: registration was removed before deployment (commit 1df33a9,
/// "Feat: remove registration"); matchOrders takes the conditionId instead.
contract FakeExchangeV2Full {
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

    event OrdersMatched(
        bytes32 indexed takerOrderHash,
        address indexed takerOrderMaker,
        uint8 side,
        uint256 tokenId,
        uint256 makerAmountFilled,
        uint256 takerAmountFilled
    );

    event FeeCharged(address indexed receiver, uint256 amount);

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

    struct Match {
        bytes32 takerOrderHash;
        address takerOrderMaker;
        uint8 side;
        uint256 tokenId;
        uint256 makerAmountFilled;
        uint256 takerAmountFilled;
    }

    struct Fee {
        address receiver;
        uint256 amount;
    }

    function emitFills(Fill[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) {
            Fill calldata f = xs[i];
            emit OrderFilled(
                f.orderHash, f.maker, f.taker, f.side, f.tokenId,
                f.makerAmountFilled, f.takerAmountFilled, f.fee, f.builder, f.metadata
            );
        }
    }

    function emitMatches(Match[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) {
            Match calldata m = xs[i];
            emit OrdersMatched(m.takerOrderHash, m.takerOrderMaker, m.side, m.tokenId, m.makerAmountFilled, m.takerAmountFilled);
        }
    }

    function emitFees(Fee[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) emit FeeCharged(xs[i].receiver, xs[i].amount);
    }
}
