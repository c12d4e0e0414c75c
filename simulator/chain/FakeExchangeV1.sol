// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Test double for the V1 CTF Exchange (0x4bFb41d5B3570DeFd03C39a9A4D8dE6Bd8B8982E) and the
/// V1 NegRisk CTF Exchange (0xC5d563A36AE78145C45a50134d48A1215220f80a), installed with
/// hardhat_setCode. Stateless: each function emits the events it is given.
/// Events as declared in Polymarket/ctf-exchange: src/exchange/interfaces/ITrading.sol
/// (OrderFilled, OrdersMatched), IRegistry.sol (TokenRegistered), IFees.sol (FeeCharged).
contract FakeExchangeV1 {
    event OrderFilled(
        bytes32 indexed orderHash,
        address indexed maker,
        address indexed taker,
        uint256 makerAssetId,
        uint256 takerAssetId,
        uint256 makerAmountFilled,
        uint256 takerAmountFilled,
        uint256 fee
    );

    event OrdersMatched(
        bytes32 indexed takerOrderHash,
        address indexed takerOrderMaker,
        uint256 makerAssetId,
        uint256 takerAssetId,
        uint256 makerAmountFilled,
        uint256 takerAmountFilled
    );

    event TokenRegistered(uint256 indexed token0, uint256 indexed token1, bytes32 indexed conditionId);

    event FeeCharged(address indexed receiver, uint256 tokenId, uint256 amount);

    struct Fill {
        bytes32 orderHash;
        address maker;
        address taker;
        uint256 makerAssetId;
        uint256 takerAssetId;
        uint256 makerAmountFilled;
        uint256 takerAmountFilled;
        uint256 fee;
    }

    struct Match {
        bytes32 takerOrderHash;
        address takerOrderMaker;
        uint256 makerAssetId;
        uint256 takerAssetId;
        uint256 makerAmountFilled;
        uint256 takerAmountFilled;
    }

    struct Registration {
        uint256 token0;
        uint256 token1;
        bytes32 conditionId;
    }

    struct Fee {
        address receiver;
        uint256 tokenId;
        uint256 amount;
    }

    function emitFills(Fill[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) {
            Fill calldata f = xs[i];
            emit OrderFilled(f.orderHash, f.maker, f.taker, f.makerAssetId, f.takerAssetId, f.makerAmountFilled, f.takerAmountFilled, f.fee);
        }
    }

    function emitMatches(Match[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) {
            Match calldata m = xs[i];
            emit OrdersMatched(m.takerOrderHash, m.takerOrderMaker, m.makerAssetId, m.takerAssetId, m.makerAmountFilled, m.takerAmountFilled);
        }
    }

    function emitRegistrations(Registration[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) emit TokenRegistered(xs[i].token0, xs[i].token1, xs[i].conditionId);
    }

    function emitFees(Fee[] calldata xs) external {
        for (uint256 i = 0; i < xs.length; i++) emit FeeCharged(xs[i].receiver, xs[i].tokenId, xs[i].amount);
    }
}
