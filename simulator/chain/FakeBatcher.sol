// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Runs a list of calls in one transaction, so logs of several fake contracts
/// (a CTF split, an adapter's transfer, an exchange's fills) land interleaved in
/// one receipt, in the order a real transaction would emit them. It emits nothing itself.
contract FakeBatcher {
    struct Call {
        address target;
        bytes data;
    }

    function run(Call[] calldata calls) external {
        for (uint256 i = 0; i < calls.length; i++) {
            (bool ok, bytes memory ret) = calls[i].target.call(calls[i].data);
            if (!ok) {
                assembly { revert(add(ret, 32), mload(ret)) }
            }
        }
    }
}
